"""Where batch chunks run: in this process, on a local Dask cluster, or on an existing one.

Both executors take the same lazy stream of jobs ``(index, chunk, layers, digest, parts)`` and report
each finished chunk through ``done``/``failed``; the caller orders results by chunk, so the plan
does not depend on which worker finished first.

The Dask executor keeps at most ``max_in_flight`` chunks (default two per worker) submitted and
unfinished, and only then asks the job stream for the next chunk, so the client reads the city
one township at a time and workers hold a chunk or two each. Chunk data is scattered (sent once,
to one worker) rather than embedded in the task graph. When the work directory is on a disk the
workers share (always on a local cluster), they write their chunk files themselves and send back
only attribute tables and reports, so the client's share of the work stays small. ``cancelled()`` is polled every 50 ms;
on cancel (or Ctrl-C, or any error) a ``distributed.Event`` tells running tasks to stop, futures
are cancelled and the client and any local cluster are closed.

dask is imported only here, lazily: the rest of gridtool runs without it
(``pip install "gridtool[cluster]"``).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Callable, Iterable

from ..errors import CancelledError, GridtoolError
from .spawning import main_hidden


class ClusterError(GridtoolError):
    """Dask is missing, the scheduler cannot be reached, or its workers run another gridtool."""


#: (index, Chunk, {role: GeoDataFrame}, digest or None, the digest's parts or None): the parts go to
#: the task with the digest, so that a worker writing its chunk file does not hash the inputs again.
Job = tuple


def make_executor(*, task: Callable, warm_up: Callable[[], None], workers: int = 1, scheduler: str | None = None,
                  max_in_flight: int | None = None):
    """The in-process executor for one worker without a scheduler, else the Dask executor.

    ``task(chunk, layers, params, **options)`` partitions one chunk and ``warm_up()`` loads the
    engine in a fresh process (:func:`gridtool.partition.batch.run_chunk` and ``warm_up``); they
    are given here, so that this module never imports the batch module that uses it.
    """
    if scheduler is None and workers <= 1:
        return InProcessExecutor(task=task, warm_up=warm_up)
    return DaskExecutor(task=task, warm_up=warm_up, workers=workers, scheduler=scheduler,
                        max_in_flight=max_in_flight)


class InProcessExecutor:
    """Chunks one after another in this process; the engine's own progress is passed on."""

    mode = "in-process"
    n_workers = 1

    def __init__(self, *, task: Callable, warm_up: Callable[[], None]):
        self.task = task
        self.warm_up = warm_up

    def run(self, jobs: Iterable[Job], *, params: dict, isolate: bool, work_dir: str | None, done: Callable,
            failed: Callable, progress: Callable[[float, str], None],
            progress_span: Callable[[int], tuple[float, float]], cancelled: Callable[[], bool]) -> None:
        warmed = False
        for i, chunk, layers, dig, parts in jobs:
            if not warmed:
                self.warm_up()
                warmed = True
            base, span = progress_span(i)

            def relay(f: float, m: str, base=base, span=span, key=chunk.key) -> None:
                progress(min(base + span * f, 1.0), f"{key}：{m}")
            try:
                piece = self.task(chunk, layers, params, progress=relay, cancelled=cancelled, isolate=isolate,
                                  work_dir=work_dir, digest=dig, parts=parts)
            except CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reported by the caller with the chunk's villages
                failed(i, exc, dig)
                continue
            done(i, piece, dig)


def _import_dask():
    try:
        import distributed
    except ImportError as exc:
        raise ClusterError("未安装 dask，无法并行划分", "dask is not installed: cannot run workers in parallel",
                           fix_zh='安装：pip install "gridtool[cluster]"（或 pip install "dask[distributed]"）。',
                           fix_en='install it: pip install "gridtool[cluster]" (or pip install "dask[distributed]").') from exc
    return distributed


def _worker_info(warm_up: Callable[[], None], local: bool = False) -> dict:
    """Run on every worker before the work: imports the engine (so the first chunk does not pay
    for it) and says which gridtool it has.

    ``local``: a worker of this run's own cluster ignores Ctrl-C. A terminal sends it to every
    process of the command, and the worker would die printing a traceback; the command itself
    stops the tasks and closes the cluster (a worker of someone's ``--scheduler`` is left alone).
    """
    import signal
    import threading

    import gridtool
    if local and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    warm_up()
    return {"gridtool": gridtool.__version__}


class _CtrlC:
    """Ctrl-C during a Dask run, noted and raised where the run can stop cleanly.

    Python raises ``KeyboardInterrupt`` wherever the main thread happens to be, and in a Dask
    client that is often a callback whose exceptions are ignored (``Exception ignored in
    GCDiagnosis._gc_callback``): the run then went on as if nothing was pressed. The handler only
    notes the key; :meth:`check` (in the polling loop) raises it.
    """

    def __init__(self) -> None:
        import signal
        import threading
        self.pressed = False
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._note)

    def _note(self, signum, frame) -> None:
        self.pressed = True

    def check(self) -> None:
        if self.pressed:
            raise KeyboardInterrupt()

    def restore(self) -> None:
        import signal
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


class DaskExecutor:
    """Chunks as Dask tasks on ``LocalCluster(n_workers=workers, threads_per_worker=1)`` or on the
    scheduler at ``scheduler``."""

    def __init__(self, *, task: Callable, warm_up: Callable[[], None], workers: int = 2, scheduler: str | None = None,
                 max_in_flight: int | None = None):
        self.task = task
        self.warm_up = warm_up
        self.workers = int(workers)
        self.scheduler = scheduler
        self.max_in_flight = max_in_flight
        self.mode = scheduler if scheduler else "local cluster"
        self.n_workers = self.workers
        self.start_s = 0.0

    def _connect(self, distributed):
        t = time.perf_counter()
        cluster = None
        try:
            if self.scheduler:
                client = distributed.Client(self.scheduler, timeout="15s")
            else:
                # ":0": the scheduler's HTTP endpoint binds a free port (with None it still takes
                # 8787, and warns when another cluster holds it).
                # Without the caller's main script: a script with no ``if __name__ == "__main__":``
                # would stop every worker from starting (see .spawning). Dask's own log stays quiet
                # (a killed worker is an English ERROR line with a timestamp): what failed is
                # reported by chunk, with the fix, by the batch.
                with main_hidden():
                    cluster = distributed.LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                                       processes=True, dashboard_address=":0",
                                                       silence_logs=logging.CRITICAL)
                client = distributed.Client(cluster)
        except (OSError, TimeoutError, RuntimeError) as exc:
            if cluster is not None:
                cluster.close()
            where = self.scheduler or "LocalCluster"
            raise ClusterError(f"无法连接 Dask 调度器 {where}：{exc}", f"cannot reach the Dask scheduler {where}: {exc}",
                               fix_zh="检查地址（tcp://主机:8786）和调度器是否在运行，或改用 --workers N 在本机运行。",
                               fix_en="check the address (tcp://host:8786) and that the scheduler runs, or use "
                                      "--workers N on this machine.") from exc
        try:
            if self.scheduler:
                client.wait_for_workers(1, timeout=60)
            info = client.run(_worker_info, self.warm_up, cluster is not None)
        except Exception as exc:  # noqa: BLE001
            client.close()
            if cluster is not None:
                cluster.close()
            raise ClusterError(f"Dask 工作进程无法加载 gridtool：{exc}", f"the Dask workers cannot load gridtool: {exc}",
                               fix_zh="在每个工作节点安装同一版本的 gridtool。",
                               fix_en="install the same gridtool version on every worker.") from exc
        import gridtool
        other = sorted({v["gridtool"] for v in info.values()} - {gridtool.__version__})
        if other:
            client.close()
            raise ClusterError(f"工作节点的 gridtool 版本（{', '.join(other)}）与本机（{gridtool.__version__}）不同",
                               f"workers run gridtool {', '.join(other)}, this machine {gridtool.__version__}",
                               fix_zh="在每个工作节点安装同一版本的 gridtool，结果才能一致。",
                               fix_en="install the same gridtool version everywhere, so that results agree.")
        self.n_workers = len(info)
        self.start_s = round(time.perf_counter() - t, 3)
        return client, cluster

    def run(self, jobs: Iterable[Job], *, params: dict, isolate: bool, work_dir: str | None, done: Callable,
            failed: Callable, progress: Callable[[float, str], None],
            progress_span: Callable[[int], tuple[float, float]], cancelled: Callable[[], bool]) -> None:
        distributed = _import_dask()
        client, cluster = self._connect(distributed)
        run_id = uuid.uuid4().hex[:12]
        event = distributed.Event(f"gridtool-cancel-{run_id}", client=client)
        limit = self.max_in_flight or 2 * max(self.n_workers, 1)
        pending = distributed.as_completed()
        meta: dict = {}  # future -> (index, digest, scattered data)
        ok = False
        ctrl_c = _CtrlC()
        try:
            it = iter(jobs)
            more = True
            while True:
                while more and len(meta) < limit:
                    job = next(it, None)
                    if job is None:
                        more = False
                        break
                    i, chunk, layers, dig, parts = job
                    [data] = client.scatter([layers], hash=False)
                    fut = client.submit(self.task, chunk, data, params, cancel_event=event.name, isolate=isolate,
                                        work_dir=work_dir, digest=dig, parts=parts, key=f"gridtool-{chunk.key}-{run_id}",
                                        pure=False)
                    meta[fut] = (i, dig, data)
                    pending.add(fut)
                if not meta:
                    break
                if cancelled():
                    raise CancelledError()
                ctrl_c.check()
                if not pending.has_ready():
                    time.sleep(0.05)
                    continue
                for fut in pending.next_batch(block=False):
                    i, dig, data = meta.pop(fut)
                    try:
                        piece = fut.result()
                    except CancelledError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - a killed worker, unpicklable data …
                        failed(i, exc, dig)
                    else:
                        done(i, piece, dig)
                    fut.release()
                    data.release()
            ok = True
        finally:
            ctrl_c.restore()  # a second Ctrl-C while the cluster closes: Python's own
            quiet = None
            if not ok:
                # Stopping on purpose: Dask's complaints about cancelled tasks and scattered data
                # going away with their workers are not the user's business.
                quiet = logging.getLogger("distributed")
                level = quiet.level
                quiet.setLevel(logging.CRITICAL)
                try:
                    event.set()
                    client.cancel(list(meta))
                except Exception:  # noqa: BLE001 - closing anyway
                    pass
            try:
                client.close(timeout=15)
                if cluster is not None:
                    cluster.close(timeout=15)
            finally:
                if quiet is not None:
                    quiet.setLevel(level)
